import { TextLength } from '../shared/http/validators';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class CreateOrganizationDto {
  @ApiProperty({ example: 'Sunrise ABA Therapy', minLength: 1, maxLength: 200 })
  @IsString()
  @TextLength(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}

export class OrganizationResponse {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class OrganizationList {
  @ApiProperty({ type: [OrganizationResponse] }) items!: OrganizationResponse[];
}
